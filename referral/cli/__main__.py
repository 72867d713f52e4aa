"""`python -m referral.cli` runs the `referral` command."""

from . import main

main()
