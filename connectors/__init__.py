"""Everything that touches the outside: the FastAPI service, channels, department dispatch, the CLI's server side."""
