"""The dashboard's control buttons in headless chromium, against a live `start` on anvil with credentials.

Each button asks for confirmation (a dismissed dialog sends nothing), posts to /control/..., then
follows the command on /status until the trader has run it.
"""

from __future__ import annotations

import httpx

from trade_executor.devnet.anvil import free_port

from .test_control_endpoints import PASSWORD, USER, Executor, control_strategy
from .test_crash_recovery import live_env
from .test_webhook_live import launch


def test_dashboard_buttons_pause_close_all_resume_and_close_one_position(chromium_browser, deployment, tmp_path):
    strategy_file, _ = control_strategy(tmp_path)
    port = free_port()
    env = live_env(
        deployment, strategy_file, tmp_path / "state.json", RUN_SINGLE_CYCLE="false", POSITION_TRIGGER_CHECK_MINUTES="0.01", HTTP_ENABLED="true",
        HTTP_PORT=str(port), HTTP_USERNAME=USER, HTTP_PASSWORD=PASSWORD,
    )
    executor = Executor(f"http://127.0.0.1:{port}", launch(env))
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, http_credentials={"username": USER, "password": PASSWORD})
    page = context.new_page()
    errors, questions, answers = [], [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_dialog(dialog) -> None:
        questions.append(dialog.message)
        dialog.accept() if answers.pop(0) else dialog.dismiss()

    page.on("dialog", on_dialog)

    def press(selector: str, accept: bool = True, outcome: str | None = None) -> None:
        answers.append(accept)
        page.locator(selector).click()
        if outcome is not None:
            page.wait_for_function(f"document.getElementById('control-message').textContent.startsWith({outcome!r})", timeout=30_000)

    try:
        executor.wait_for(lambda s: s["cycles"] >= 1, "the first cycle (it buys position #1)")
        page.goto(executor.url + "/")
        page.wait_for_selector("#open-positions tbody button")  # control is on: each open position has a Close button
        assert page.locator("#control").is_visible() and not page.locator("#pause-status").is_visible()

        press("#pause-button", accept=False)  # dismissed: nothing is sent
        assert "Pause trading?" in questions[-1]
        assert executor.status()["control_commands"] == [] and page.locator("#control-message").inner_text() == ""

        press("#pause-button", outcome="pause: done")
        page.wait_for_selector("#pause-status:not([hidden])")
        assert page.locator("#pause-status").inner_text() == f"paused by {USER} (webhook, 127.0.0.1)"
        assert page.locator("#resume-button").is_visible() and not page.locator("#pause-button").is_visible()

        press("#close-all-button", outcome="close-all: done. Sold #1 ETH-USDC.")
        assert "Sell every open position now" in questions[-1]

        press("#resume-button", outcome="resume: done")
        page.wait_for_selector("#pause-status", state="hidden")
        page.wait_for_selector("#open-positions tbody button", timeout=30_000)  # the strategy buys again
        position_id = page.locator("#open-positions tbody tr td").first.inner_text()
        press("#open-positions tbody button", outcome=f"close-position #{position_id}: done. Sold #{position_id} ETH-USDC.")
        assert questions[-1].startswith(f"Sell position #{position_id} ETH-USDC now")

        rows = page.locator("#control-commands tbody tr").all_inner_texts()
        assert [row.split("\t")[2:4] for row in rows] == [[f"close-position #{position_id}", "done"], ["resume", "done"], ["close-all", "done"], ["pause", "done"]]
        assert all(row.split("\t")[1] == f"{USER} (webhook, 127.0.0.1)" for row in rows)
        assert errors == []
        assert httpx.get(executor.url + "/status", auth=(USER, PASSWORD)).json()["executor_running"] is True
    finally:
        context.close()
        if executor.process.poll() is None:
            executor.process.kill()
            executor.process.wait()
