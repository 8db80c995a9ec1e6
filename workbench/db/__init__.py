"""SQLAlchemy 2.0 storage: schema, session factory, migrations and repository functions."""
