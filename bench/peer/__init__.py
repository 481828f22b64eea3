"""Peer benchmark (issue 16): the same interview built the usual PTB way, against beian."""
