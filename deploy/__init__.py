"""A term on one machine: JupyterHub, nbgrader's exchange, a PostgreSQL gradebook (``make hub``)."""
