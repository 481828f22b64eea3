"""Chat with `beian serve --channel wechat` through the local WeChat stand-in (no WeChat needed).

Run from a clone after `make setup`:

    .venv/bin/python scripts/wechat-standin.py [--safe]

It starts the stand-in of WeChat's API (tests/fakes/wechat.py), then `beian serve --channel
wechat` on a free port with the stand-in's settings (WECHAT_API_BASE_URL pointing at it, a
database in a temporary folder), follows the account as a person would (the subscribe
event), and posts each line you type as that person's message, signed as WeChat signs (AES
safe mode with --safe). What the channel sends back (customer-service messages) is printed.
Type 进度 / 文件 / 变更 / 帮助 alone to tap the menu's item; a message's links are shown as
[label → what tapping it sends]: type that (or just the F…-reference) to tap it; Ctrl-D ends.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fakes.wechat import (
    AES_KEY,
    APP_ID,
    APP_SECRET,
    TOKEN,
    FakeWeChat,
    Poster,
    event_xml,
    text_xml,
)

# A text link that sends a message when tapped (weixin://bizmsgmenu), as WeChat shows it.
LINK = re.compile(
    r'<a href="weixin://bizmsgmenu\?msgmenucontent=([^&"]+)&msgmenuid=\d+">([^<]+)</a>'
)
MENU = {"进度": "status", "文件": "documents", "变更": "change", "帮助": "help"}
OPENID = "oStandInPerson00000000000001"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--safe", action="store_true", help="AES safe mode")
    args = parser.parse_args()
    fake = FakeWeChat().start()
    folder = Path(tempfile.mkdtemp(prefix="beian-wechat-"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'beian.db'}",
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_API_BASE_URL": fake.base_url,
        "WECHAT_PUBLIC_URL": f"http://127.0.0.1:{port}/wechat",
    }
    if args.safe:
        env["WECHAT_AES_KEY"] = AES_KEY
    beian = Path(sys.executable).parent / "beian"
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own beian, our own arguments
        [str(beian), "serve", "--channel", "wechat", "--listen", f"127.0.0.1:{port}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    print(f"beian serve --channel wechat on 127.0.0.1:{port} (log: {folder / 'serve.log'})")
    try:
        end = time.monotonic() + 120
        while not fake.menus and time.monotonic() < end:
            if process.poll() is not None:
                print((folder / "serve.log").read_text(), file=sys.stderr)
                return 1
            time.sleep(0.1)
        print("menu:", " / ".join(MENU))
        poster = Poster(f"http://127.0.0.1:{port}/wechat", safe=args.safe)
        seen = 0

        def send(xml: str) -> None:
            nonlocal seen
            status, _ = poster.post(xml)
            if status != 200:
                print(f"[WeChat got {status}]")
                return
            wait = time.monotonic() + 60
            while time.monotonic() < wait:
                texts = fake.texts_to(OPENID)
                if len(texts) > seen:
                    time.sleep(0.3)  # the turn's other messages
                    texts = fake.texts_to(OPENID)
                    for text in texts[seen:]:
                        print(LINK.sub(r"[\2 → \1]", text), end="\n\n")
                    seen = len(texts)
                    return
                time.sleep(0.05)

        send(event_xml(OPENID, "subscribe"))
        for line in sys.stdin:
            said = line.strip()
            if not said:
                continue
            if said in MENU:
                send(event_xml(OPENID, "CLICK", MENU[said]))
            else:
                send(text_xml(OPENID, said, poster.next_id()))
    finally:
        process.terminate()
        process.wait(30)
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
