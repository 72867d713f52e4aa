"""An official walking a screening through the test client, in the words of what the official does.

Every URL the official's browser requests (redirects included) is kept in ``urls``, so tests can check that none
carries personal data.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from referral.engine import GuidelineSet

ACTION = re.compile(r'action="/screening/(?P<draft>[0-9a-f]{32})/q/(?P<tree>[^/"]+)/(?P<node>[^/"]+)"')
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
IDENTITY_INPUT = re.compile(r'<(?:input|textarea)[^>]*name="(given_name|family_name|date_of_birth|document_number|'
                            r'phone|nationality|notes)"')


def text_of(page: str) -> str:
    """The page's visible words, roughly (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@dataclass
class Official:
    client: object
    gset: GuidelineSet
    urls: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    draft: str | None = None
    token: str | None = None

    # -- plumbing ---------------------------------------------------------------------------------------------

    def _keep(self, response) -> None:  # noqa: ANN001
        for step in [*getattr(response, "history", ()), response]:
            self.urls.append(step.request.full_path if step.request.query_string else step.request.path)
        self.pages.append(response.get_data(as_text=True))

    def get(self, url: str):  # noqa: ANN201
        response = self.client.get(url, follow_redirects=True)
        self._keep(response)
        return response

    def post(self, url: str, data: dict | list | None = None, follow: bool = True):  # noqa: ANN201
        if self.token is None:
            self.token = TOKEN.search(self.client.get("/screening/").get_data(as_text=True)).group(1)
        body = [("csrf_token", self.token)]
        body += list(data.items()) if isinstance(data, dict) else list(data or ())
        response = self.client.post(url, data=_multi(body), follow_redirects=follow)
        self._keep(response)
        return response

    # -- what the official does -------------------------------------------------------------------------------

    def starts(self, language: str = "fa_AF"):  # noqa: ANN201
        response = self.post("/screening/", {"language": language})
        self.draft = re.search(r"/screening/([0-9a-f]{32})/", response.request.path).group(1)
        return response

    def sees_question(self) -> tuple[str, str, str] | None:
        """(tree, node, page) of the next question, or None when the questions are done."""
        response = self.get(f"/screening/{self.draft}/next")
        return self.question_on(response.get_data(as_text=True))

    @staticmethod
    def question_on(page: str) -> tuple[str, str, str] | None:
        found = ACTION.search(page)
        return (found["tree"], found["node"], page) if found else None

    def answers(self, tree: str, node: str, value: object = None, action: str = "save"):  # noqa: ANN201
        """Post one answer: a value, a list of ticked boxes, or an action (none, unknown)."""
        values = value if isinstance(value, list | tuple | set | frozenset) else ([] if value is None else [value])
        body = [("value", str(v)) for v in values] + [("action", action)]
        return self.post(f"/screening/{self.draft}/q/{tree}/{node}", body)

    def fact_of(self, tree: str, node: str) -> str:
        return next(t for t in self.gset.trees if t.id == tree).nodes[node].fact

    def walks(self, facts: dict[str, object]) -> list[str]:
        """Answer every question from ``facts`` (by fact; a missing fact is answered unknown); return the nodes."""
        asked = []
        while (found := self.sees_question()) is not None:
            tree, node, _page = found
            asked.append(f"{tree}/{node}")
            value = facts.get(self.fact_of(tree, node), "unknown")
            if isinstance(value, frozenset | set | list):
                self.answers(tree, node, sorted(value) if value else None, "save" if value else "none")
            elif value == "unknown" and self.kind(tree, node) != "choice":
                self.answers(tree, node, None, "unknown")
            else:
                self.answers(tree, node, value)
        return asked

    def kind(self, tree: str, node: str) -> str:
        return next(t for t in self.gset.trees if t.id == tree).nodes[node].answer_type

    def consents(self, decisions: dict[str, bool]):  # noqa: ANN201
        body = {f"consent-{kind}": "yes" if ok else "no" for kind, ok in decisions.items()}
        return self.post(f"/screening/{self.draft}/consent", body)

    def enters_identity(self, values: dict[str, str]):  # noqa: ANN201
        return self.post(f"/screening/{self.draft}/identity", values)

    def submits(self, follow: bool = True):  # noqa: ANN201
        return self.post(f"/screening/{self.draft}/submit", {}, follow=follow)


def _multi(pairs: list[tuple[str, str]]):  # noqa: ANN202
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def identity_fields_on(page: str) -> set[str]:
    return set(IDENTITY_INPUT.findall(page))
