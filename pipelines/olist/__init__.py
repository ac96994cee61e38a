"""Olist, a real Brazilian marketplace, converted into an Ombazar source and the reference data its sellers need.

`rasad import olist DIR` (docs/olist.md): `files` reads the public CSVs and counts their quirks, `money` turns
their decimal prices into whole rials without float error, `mapping` holds the fixed tables (Brazilian states
onto Iranian provinces, Olist categories into the sector taxonomy), `organisation` builds the reference data,
`marketplace` the four entities of the source contract, and `convert` writes both with the import summary.
"""
