"""Generates the SageMaker pipeline definition. Only definition.py imports the SageMaker SDK, so
importing this package (for code_bundle, say) stays light."""
