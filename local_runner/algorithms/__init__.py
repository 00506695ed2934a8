"""Built-in SageMaker algorithms as local scripts. Each file runs as a job's entry point inside the
sandbox, with the runtime's Python, and imports nothing from the project (like a container)."""
