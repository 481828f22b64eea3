"""Reading a photo of a business licence or an ID card, on this machine (issue 30)."""
