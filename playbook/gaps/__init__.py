"""One module per gap area: checks that take a target and settings and return results."""
