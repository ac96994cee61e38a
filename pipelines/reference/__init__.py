"""The organisation in `ref`: tables, CSV load and export, the seed's rules, and routing (who covers whom)."""
