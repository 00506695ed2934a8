"""CI glue: what the workflows run between the make targets, one CLI (`python -m ci <command>`).

Each command is a module with a `main(argv) -> int`; the workflows call them from the repository
root with the venv's Python (or the runner's python3 where no venv exists yet: deploy-request and
pr-comment import nothing outside the standard library and env_config).
"""
