"""The marketplace as it stood at the end of a monitored day, read from staging."""
