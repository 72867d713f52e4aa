"""What an official and a supervisor do in the browser, as methods: the tests read like the work."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from referral.engine import load_guidelines
from tests.conftest import GUIDELINES
from tests.e2e.browser import screenshot

QUESTION_URL = re.compile(r"/screening/(?P<draft>[^/]+)/q/(?P<tree>[^/]+)/(?P<node>[^/?#]+)")


@dataclass
class Official:
    page: object
    base: str
    label: str  # names the screenshots: interface language and tablet size
    steps: list[str] = field(default_factory=list)

    def click(self, locator) -> None:  # noqa: ANN001
        """Click something that loads a page, and wait for that page."""
        with self.page.expect_navigation():
            locator.click()

    def shot(self, step: str) -> None:
        self.steps.append(step)
        screenshot(self.page, f"{self.label}-{len(self.steps):02d}-{step}")

    def signs_in(self, username: str, password: str) -> None:
        self.page.goto(self.base + "/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.click(self.page.locator("main button[type=submit]"))

    def chooses_interface_language(self, code: str) -> None:
        self.page.select_option("#locale-menu", code)
        self.click(self.page.locator("form.language button"))

    def starts_a_screening(self, person_language: str) -> None:
        self.page.goto(self.base + "/screening/")
        self.page.check(f"input[name=language][value={person_language}]")
        self.shot("start")
        self.click(self.page.locator("form[action$='/screening/'] button[type=submit]"))

    def shows_the_person(self) -> dict[str, object]:
        """Turn the tablet round: the question's phrase alone on the screen; then back to the question.

        Returns what the person saw: the page's direction, the phrases, and where the first phrase sits
        (its left and right edges and the page's width), to check that right-to-left text starts at the right.
        """
        self.click(self.page.locator("a.show-person"))
        seen = self.page.evaluate("""() => {
            const phrase = document.querySelector('.phrase-large');
            const box = phrase.getBoundingClientRect();
            const range = document.createRange();
            range.selectNodeContents(phrase);
            const text = range.getBoundingClientRect();
            return {dir: document.documentElement.dir, lang: document.documentElement.lang,
                    phrases: [...document.querySelectorAll('.phrase-large')].map(p => p.textContent),
                    words: [...document.querySelectorAll('.person-answers li')].map(li => li.textContent),
                    box_left: box.left, box_right: box.right, text_left: text.left, text_right: text.right,
                    width: document.documentElement.clientWidth};
        }""")
        self.shot("shown-to-the-person")
        self.click(self.page.locator("footer.return a"))
        return seen

    def current_question(self) -> tuple[str, str, str]:
        """(tree, node, fact) of the question on screen."""
        action = self.page.locator("form.question").get_attribute("action")
        match = QUESTION_URL.search(action)
        tree, node = match["tree"], match["node"]
        return tree, node, load_guidelines(GUIDELINES).tree(tree).nodes[node].fact

    def answers(self, value: object) -> None:
        """Answer the question on screen: a word, a set of words (ticked boxes), a number, or "unknown"."""
        if isinstance(value, frozenset | set | list | tuple):
            boxes = self.page.locator("form.question input[type=checkbox]")
            for index in range(boxes.count()):
                box = boxes.nth(index)
                if box.get_attribute("value") in value:
                    box.check()
            if not any(boxes.nth(i).is_checked() for i in range(boxes.count())):
                self.click(self.page.locator("button[name=action][value=none]"))
                return
        elif self.page.locator("form.question input[type=radio]").count():
            self.page.check(f"form.question input[type=radio][value='{value}']")
        elif value == "unknown":
            self.click(self.page.locator("button[name=action][value=unknown]"))
            return
        else:
            self.page.fill("#answer-value", str(value))
        self.click(self.page.locator("button[name=action][value=save]"))

    def walks(self, facts: dict[str, object], stop_after: int | None = None) -> int:
        """Answer question after question from ``facts`` (unknown where a fact is not given) until the plan."""
        count = 0
        while self.page.locator("form.question").count():
            _tree, _node, fact = self.current_question()
            if count == 0 or fact in ("asylum_wish", "medical_emergency"):
                self.shot(f"question-{fact}")
            self.answers(facts.get(fact, "unknown"))
            count += 1
            if stop_after is not None and count >= stop_after:
                break
        return count

    def goes_back(self) -> None:
        self.click(self.page.locator("nav.steps a.button.secondary").first)

    def sees_the_plan(self) -> str:
        self.shot("plan")
        return self.page.locator("main").inner_text()

    def records_consent(self, refused: tuple[str, ...] = ()) -> None:
        self.click(self.page.locator("a.button[href$='/consent']"))
        self.shot("consent")
        for fieldset in self.page.locator("fieldset.consent").all():
            name = fieldset.locator("input[type=radio]").first.get_attribute("name")
            kind = name.removeprefix("consent-")
            fieldset.locator(f"input[value={'no' if kind in refused else 'yes'}]").check()
        self.click(self.page.locator("main form button[type=submit]"))

    def enters_identity(self, identity: dict[str, str]) -> None:
        self.shot("identity")
        for name, value in identity.items():
            if self.page.locator(f"#{name}").count():
                self.page.fill(f"#{name}", value)
        self.click(self.page.locator("main form button[type=submit]"))

    def submits(self) -> str:
        self.shot("review")
        self.click(self.page.locator("button.big"))
        self.shot("submitted")
        return self.page.locator("p.reference strong").inner_text().strip()

    def signs_out(self) -> None:
        self.click(self.page.locator("nav.account button"))
