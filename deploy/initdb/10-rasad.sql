-- Rasad's store beside Airflow's metadata on the production PostgreSQL (deploy/docker-compose.celery.yml).
-- The password is set afterwards: ALTER ROLE rasad PASSWORD '...' (the same as POSTGRES_PASSWORD in .env).
CREATE ROLE rasad LOGIN;
CREATE DATABASE rasad OWNER rasad;
