"""Officer-facing reports: the data they show (`model`) and their rendering (`render`)."""
