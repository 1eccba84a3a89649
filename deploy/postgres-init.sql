-- One database per service on one server (each keeps its own Alembic version table).
CREATE DATABASE profiles;
CREATE DATABASE pathways;
CREATE DATABASE assessment;
CREATE DATABASE gateway;
