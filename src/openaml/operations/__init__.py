"""One function per Amazon ML API operation: wire names in and out, input checks, domain calls."""
