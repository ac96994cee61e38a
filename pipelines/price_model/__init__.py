"""Relative price features, read by the price rules and the outlier model, and the model itself."""
