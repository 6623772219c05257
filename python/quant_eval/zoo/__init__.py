"""Small models trained in-tree, each with a reproducible training script."""
