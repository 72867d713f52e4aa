# The two commands of the README. Both install what they need first (Debian packages and .venv).
.PHONY: demo test check bench lint

# Install, prepare the demonstration data on SQLite, and serve the app on http://127.0.0.1:5000
demo:
	deploy/install.sh
	deploy/demo.sh

# Install what the tests need, then run the whole suite.
test:
	deploy/install.sh --tests
	.venv/bin/python -m pytest

check:
	.venv/bin/referral guidelines check

bench:
	.venv/bin/python bench/run.py

lint:
	.venv/bin/ruff check referral tests bench
