"""The ``accord`` command line: thin commands over the same services as the API."""
