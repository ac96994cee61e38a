"""Rasad: quality monitoring for the Ombazar members' marketplace.

The package holds all the logic and imports nothing from Airflow at module level;
`dags/` only wires tasks that call into it.
"""

__version__ = "0.1.0"
