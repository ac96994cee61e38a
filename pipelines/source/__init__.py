"""The Ombazar source as the contract describes it: the contract, SQL and HTTP readers, the reference server."""
