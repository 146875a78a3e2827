"""Looking inside a trained model: one real sample traced through it layer by layer, forward and backward."""
