"""Use cases and entity life-cycles: creating resources with their jobs, the job bodies, endpoints."""
