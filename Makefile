SHELL := /bin/bash
# The two commands of the README. Both install what they need first (Debian packages and .venv).
.PHONY: demo test check bench lint translations slip-translations

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

# Every benchmark the project keeps; each writes its section of docs/benchmarks.md.
bench:
	for script in bench/*_bench.py; do .venv/bin/python "$$script" || exit 1; done

lint:
	.venv/bin/ruff check referral tests bench

# Re-extract every visible text (Python, templates, guideline and form YAML) and refresh the catalogues.
translations:
	.venv/bin/pybabel extract -F translations/babel.cfg -k _l -k lazy_gettext --add-comments=Translators: \
		--sort-by-file --no-wrap --omit-header -o translations/messages.pot .
	if compgen -G "translations/*/LC_MESSAGES/messages.po" >/dev/null; then \
		.venv/bin/pybabel update -i translations/messages.pot -d translations --no-wrap --no-fuzzy-matching && \
		.venv/bin/python tools/translation_drafts.py --restore-header && \
		.venv/bin/pybabel compile -d translations >/dev/null; fi

# The words of referral slips have their own catalogue (translations/<locale>/LC_MESSAGES/slips.po, read from
# the .po at run time): re-extract them and refresh every slips.po (services/slip_text.py says why).
slip-translations:
	.venv/bin/pybabel extract -F translations/slips.cfg -k st -k st_noop --no-default-keywords \
		--add-comments=Translators: --sort-by-file --no-wrap --omit-header -o translations/slips.pot .
	.venv/bin/pybabel update -D slips -i translations/slips.pot -d translations --no-wrap
