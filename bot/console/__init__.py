"""The bureau's desk (issue 28): a server-rendered web console for reviewers."""
