"""The day's steps in order, the run log, `rasad run` and `rasad demo`, and the Airflow glue."""
