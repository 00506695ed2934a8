"""`python -m code_bundle digest|uri|upload --env <env>`."""

from code_bundle import main

main()
