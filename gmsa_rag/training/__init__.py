"""Training data and training loops for GMSA (autoencoder pretraining, KEFT)."""
