"""The protocol edge: HTTP, AWS JSON 1.1, SigV4, the error envelope and the extension endpoints."""
