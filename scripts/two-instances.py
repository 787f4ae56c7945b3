#!/usr/bin/env python3
"""Two Maillage processes over one PostgreSQL base (issue #22), driven like a round-robin proxy
would: every write goes through one instance, every read through the other.

    two-instances.py URL_A URL_B EMAIL PASSWORD

Checks, and prints what it measured:
- a session opened on A works on B (sessions live in the base);
- a place created through A's API is found by B's search (the delay is printed);
- a merge of duplicates made on A: the absorbed place disappears from both;
- the hourly round, run by both at start-up, ran each job once in all;
- a booklet asked on A is followed, and its PDF downloaded, on B; the same request on B joins
  it (one job for both);
- wrong passwords tried on A slow the same client down on B (the counters live in the base).
Standard library only; exits non-zero with a French message on the first failure.
"""

import http.cookiejar
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

A, B, EMAIL, PASSWORD = sys.argv[1:5]
# Each measure printed as it is made, in order with the failures written to stderr.
sys.stdout.reconfigure(line_buffering=True)
WAIT_AT_MOST = 10.0


def fail(message):
    print(f"deux instances : {message}", file=sys.stderr)
    sys.exit(1)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


jar = http.cookiejar.CookieJar()
# One jar for both addresses: the session cookie is sent to A and B alike, as behind one proxy.
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def call(base, path, method="GET", body=None, content_type=None, cookie=True):
    headers = {"Sec-Fetch-Site": "same-origin", "Accept": "application/json, text/html"}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    if not cookie:
        handler = urllib.request.build_opener(NoRedirect)
    else:
        handler = opener
    try:
        with handler.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def share_cookie():
    # The cookie was set by A (127.0.0.1:port); the jar keys cookies by host, not port.
    return any(c.name for c in jar)


def search_ids(base, words):
    status, body = call(base, "/api/v1/lieux?" + urllib.parse.urlencode({"q": words, "limit": 50}))
    if status != 200:
        fail(f"recherche « {words} » sur {base} : statut {status}")
    data = json.loads(body)
    return [item.get("id") for item in data["lieux"]]


def until(what, check):
    started = time.monotonic()
    while time.monotonic() - started < WAIT_AT_MOST:
        if check():
            return time.monotonic() - started
        time.sleep(0.02)
    fail(f"{what} : pas vu en {WAIT_AT_MOST:.0f} s")


# A session opened on A works on B.
status, _ = call(A, "/connexion", "POST",
                 urllib.parse.urlencode({"email": EMAIL, "password": PASSWORD}).encode(),
                 "application/x-www-form-urlencoded")
if status not in (302, 303) or not share_cookie():
    fail(f"connexion sur A refusée (statut {status})")
for base in (A, B):
    status, _ = call(base, "/doublons")
    if status != 200:
        fail(f"la session ouverte sur A ne vaut pas sur {base} (statut {status})")
status, _ = call(B, "/doublons", cookie=False)
if status == 200:
    fail("la file des doublons est servie sans session")
print("session ouverte sur A, reconnue sur B")

# A place created through A is found on B.
status, body = call(A, "/api/v1/lieux?limit=1")
items = json.loads(body)["lieux"] if status == 200 else []
if not items:
    fail(f"liste des lieux sur A : statut {status}")
status, body = call(A, "/api/v1/lieux/" + urllib.parse.quote(items[0]["id"]))
model = json.loads(body)
name = "Tiers-lieu des Deux Rives"
created = []
for _ in range(2):
    place = {k: v for k, v in model.items() if k not in ("id", "pivot", "source")}
    place["nom"] = name
    status, body = call(A, "/api/v1/lieux", "POST", json.dumps(place).encode(), "application/json")
    if status != 201:
        fail(f"création sur A : statut {status} : {body[:300]!r}")
    created.append(json.loads(body)["id"])
    if len(created) == 1:
        seen = until("lieu créé sur A, cherché sur B",
                     lambda: created[0] in search_ids(B, "deux rives"))
        print(f"lieu créé sur A trouvé sur B après {seen * 1000:.0f} ms")
until("doublon créé sur A, cherché sur B", lambda: created[1] in search_ids(B, "deux rives"))

# The two are merged on A: the absorbed one disappears from both.
keep, absorbed = created
status, _ = call(A, "/doublons/fusion", "POST",
                 urllib.parse.urlencode({"a": keep, "b": absorbed, "garder": keep}).encode(),
                 "application/x-www-form-urlencoded")
if status not in (302, 303):
    fail(f"fusion sur A : statut {status}")
gone = until("fusion faite sur A",
             lambda: all(absorbed not in search_ids(base, "deux rives")
                         and call(base, "/api/v1/lieux/" + absorbed)[0] == 404
                         and keep in search_ids(base, "deux rives") for base in (A, B)))
print(f"fusion faite sur A : le lieu absorbé disparu de A et de B après {gone * 1000:.0f} ms")


# The hourly round ran on both at start-up: each job once in all.
def runs():
    per_job = {}
    for base in (A, B):
        status, body = call(base, "/metrics", cookie=False)
        if status != 200:
            fail(f"/metrics sur {base} : statut {status}")
        for line in body.decode().splitlines():
            m = re.match(r'maillage_taches_total\{(.*)\} (\d+)', line)
            if m:
                job = re.search(r'tache="([^"]+)"', m.group(1)).group(1)
                per_job[job] = per_job.get(job, 0) + int(m.group(2))
    return per_job


until("tournée horaire", lambda: len(runs()) >= 10)
time.sleep(1.0)  # Let both rounds end: a job claimed twice would show by now.
per_job = runs()
twice = {job: n for job, n in per_job.items() if n != 1}
if twice:
    fail(f"tâches lancées plusieurs fois : {twice}")
print(f"tournée horaire sur deux instances : {len(per_job)} tâches, chacune une fois")


# A booklet asked on A: its page and its file are served by B, and the same request on B joins it.

request = urllib.request.Request(A + "/livret", method="POST",
                                 data=urllib.parse.urlencode({"zone": "Nancy", "titre": "Deux instances"}).encode(),
                                 headers={"Sec-Fetch-Site": "same-origin",
                                          "Content-Type": "application/x-www-form-urlencoded"})
try:
    with opener.open(request, timeout=30) as response:
        status, location = response.status, response.headers.get("Location", "")
except urllib.error.HTTPError as e:
    status, location = e.code, e.headers.get("Location", "")
if status not in (302, 303) or not location.startswith("/taches/"):
    fail(f"livret demandé sur A : statut {status}")
started = time.monotonic()
status, page = call(B, location)
if status != 200:
    fail(f"la page du livret lancé sur A n'est pas servie par B (statut {status})")
if "Livret" not in page.decode():
    fail("la page du livret vue de B ne le nomme pas")


def file_on_b():
    status, body = call(B, location + "/fichier")
    return status == 200 and body.startswith(b"%PDF")


until("fichier du livret lancé sur A, téléchargé sur B", file_on_b)
print(f"livret demandé sur A : suivi et téléchargé sur B après {(time.monotonic() - started) * 1000:.0f} ms")
request.full_url = B + "/livret"
try:
    with opener.open(request, timeout=30) as response:
        again = response.headers.get("Location", "")
except urllib.error.HTTPError as e:
    again = e.headers.get("Location", "")
if again != location:
    fail(f"la même demande sur B n'a pas rejoint le livret de A ({again!r} au lieu de {location!r})")
print("la même demande sur B rejoint le livret de A : un seul travail")

# Wrong passwords on A: the same client waits on B too (five tries free per account, then a
# wait before each new one).
wrong = urllib.parse.urlencode({"email": "personne@exemple.invalid", "password": "pas-le-bon"}).encode()
for attempt in range(1, 6):
    status, body = call(A, "/connexion", "POST", wrong, "application/x-www-form-urlencoded", cookie=False)
    if status != 401:
        said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.decode(errors="replace")))
        fail(f"mot de passe erroné sur A, essai {attempt} : statut {status} au lieu de 401 ({said[-300:]})")
status, body = call(B, "/connexion", "POST", wrong, "application/x-www-form-urlencoded", cookie=False)
if status != 429:
    fail(f"après cinq essais erronés sur A, B laisse essayer encore (statut {status})")
print("cinq mots de passe erronés sur A : le même appareil doit attendre sur B aussi")
