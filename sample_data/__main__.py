"""`python -m sample_data --out data/raw/breast_cancer.csv` (what `make data` runs)."""

from sample_data import main

main()
