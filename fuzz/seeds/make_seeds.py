#!/usr/bin/env python3
"""Writes the hand-made seeds of the fuzz targets into fuzz/seeds/<target>/ (run from any
directory; reads the shared reference files from $MAILLAGE_SHARED, else ../shared beside the
repository). scripts/fuzz.sh minimises seeds and what fuzzing found into fuzz/corpus/<target>/
(`--minimiser`); the committed corpus is that minimised set."""

import csv
import io
import json
import os
import random
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHARED = Path(os.environ.get("MAILLAGE_SHARED", ROOT.parent / "shared"))


def out(target, name, data):
    d = HERE / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    (d / name).write_bytes(data)


# ---------- standard_file ----------
example = (SHARED / "standard/exemple-valide.csv").read_bytes()
out("standard_file", "exemple-valide.csv", example)
rows = list(csv.DictReader(io.StringIO(example.decode("utf-8"))))
out("standard_file", "exemple.json", json.dumps(rows, ensure_ascii=False, indent=1))
features = [
    {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [float(r["longitude"]), float(r["latitude"])]},
        "properties": {k: v for k, v in r.items() if v and k not in ("latitude", "longitude")},
    }
    for r in rows
]
out("standard_file", "exemple.geojson", json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
# The same file as French spreadsheets write it: `;`, BOM, Windows-1252, CRLF.
semi = io.StringIO()
w = csv.writer(semi, delimiter=";", lineterminator="\r\n")
w.writerow(rows[0].keys())
for r in rows:
    w.writerow(r.values())
out("standard_file", "exemple-tableur.csv", "\ufeff" + semi.getvalue())
out("standard_file", "exemple-cp1252.csv", semi.getvalue().encode("cp1252", errors="replace"))
# A few records of a real regional file in the v0.1 schema (JSON, `;` lists).
paca = json.loads((SHARED / "data/dedup-paca/paca-792-before-dedup-v0.1.json").read_text("utf-8"))
random.seed(16)
picked = [paca[0]] + [r for r in paca if r.get("horaires")][:2] + random.sample(paca, 3)
out("standard_file", "paca-v0.1.json", json.dumps(picked, ensure_ascii=False, indent=1))
out("standard_file", "vide.csv", "")
out("standard_file", "entete.csv", ",".join(rows[0].keys()) + "\n")
out("standard_file", "json-vide.json", "[]")

# ---------- opening_hours (8 bytes of date-time, then the text) ----------
hours = sorted({r["horaires"] for r in paca if r.get("horaires")})[:12] + [
    "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00",
    "Mo-Fr 08:30-12:30; PH off",
    "Lu-Ve 9:00-12:00",
    "Mon-Fri 09:00-17:00; Sun off",
    "24/7",
    'Mo-Fr 10:00-12:00 "sur rendez-vous"',
    "week 1-53/2 Fr 09:00-12:00",
    "Jan-Jun Mo-Fr 09:00-17:00; Jul-Aug off",
    "Mo-Fr sunrise-sunset",
    "Mo-Fr 09:00-12:00 open; We off; PH closed",
    "Tu 14:00-16:00 unknown",
    "Sa[1,3] 10:00-12:00",
    "2026 Dec 24-2027 Jan 02 off; Mo-Fr 09:00-17:00",
    "Mo-Su 22:00-02:00",
    "easter +1 day off",
]
for i, h in enumerate(hours):
    stamp = (0x0123456789ABCDEF * (i + 1) & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")
    out("opening_hours", f"h{i:02d}", stamp + h.encode())

# ---------- activity_csv ----------
HEADER = "type;date;duree;lieu;lieu_id;commune;thematiques;thematiques_demarche;demarche;materiel;autonomie;finalisation;orientation;titre;niveau;participants;tranche_age;genre;statut_social;commune_residence;etiquettes;notes"
act_rows = [
    "Accompagnement individuel;14/03/2026;45;À distance;;;Navigation sur internet;;;Téléphone;Fait avec la personne;;;;Débutant;;70 ans ou plus;Femme;Retraité(e);54395;seniors;rappeler",
    "Atelier collectif;2026-03-15;1h30;Autre lieu;;Nancy;Prévention en sécurité numérique;;;;;;;Arnaques;Intermédiaire;6;60-69=4;femme=3 ; homme=3;retraite=4;;;",
    "Aide aux démarches administratives;2026-03-16;30;Au domicile de la personne;;54395;;Emploi;Inscription France Travail;Ordinateur;Fait à la place de la personne;Démarche finalisée;;;;;;;;;;",
    "Accompagnement individuel;2026-03-17;1:15;Lieu d'activité;lieu-1;;Navigation sur internet;;;;;;;;;;;;;;'=HYPERLINK(\"x\");",
]
out("activity_csv", "modele.csv", HEADER + "\n" + "\n".join(act_rows) + "\n")
out("activity_csv", "virgules.csv", "\ufefftype,date,duree,lieu,thematiques\nAtelier collectif,2026-01-05,2h,À distance,Navigation sur internet\n")
out("activity_csv", "entete-seule.csv", "type;date;duree;lieu\n")
out("activity_csv", "colonne-inconnue.csv", "type;date;duree;lieu;inconnue\n1;2;3;4;5\n")

# ---------- activity_xlsx (mode byte, then the file or the sheet's XML parts) ----------
def col(n):
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s

table = [HEADER.split(";")] + [r.split(";") for r in act_rows]
strings = []
def sst(v):
    if v not in strings:
        strings.append(v)
    return strings.index(v)

from xml.sax.saxutils import escape
cells = []
for ri, row in enumerate(table):
    cs = []
    for ci, v in enumerate(row):
        if not v:
            continue
        ref = f"{col(ci)}{ri + 1}"
        if v.isdigit():
            cs.append(f'<c r="{ref}"><v>{v}</v></c>')
        else:
            cs.append(f'<c r="{ref}" t="s"><v>{sst(v)}</v></c>')
    cells.append(f'<row r="{ri + 1}">{"".join(cs)}</row>')
# A date cell (serial 46096 = 2026-03-14) with a date style.
cells.append('<row r="6"><c r="A6" t="inlineStr"><is><t>Accompagnement individuel</t></is></c><c r="B6" s="1"><v>46095</v></c><c r="C6"><v>45</v></c><c r="D6" t="str"><f>"À distance"</f><v>À distance</v></c><c r="G6" t="s"><v>0</v></c></row>')
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
sheet = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {NS}><dimension ref="A1:V6"/><sheetData>{"".join(cells)}</sheetData></worksheet>'
shared = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst {NS} count="{len(strings)}" uniqueCount="{len(strings)}">' + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>"
styles = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet {NS}><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>'
out("activity_xlsx", "parties.bin", b"\x01" + sheet.encode() + b"\xff" + shared.encode() + b"\xff" + styles.encode())
out("activity_xlsx", "parties-sans-styles.bin", b"\x03" + sheet.encode() + b"\xff" + shared.encode())
CT = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
RELS = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
WB = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {NS} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="activites" sheetId="1" r:id="rId1"/></sheets></workbook>'
WBRELS = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>'
for method, name in [(zipfile.ZIP_DEFLATED, "classeur.xlsx"), (zipfile.ZIP_STORED, "classeur-stocke.xlsx")]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for n, c in [("[Content_Types].xml", CT), ("_rels/.rels", RELS), ("xl/workbook.xml", WB),
                     ("xl/_rels/workbook.xml.rels", WBRELS), ("xl/worksheets/sheet1.xml", sheet),
                     ("xl/sharedStrings.xml", shared), ("xl/styles.xml", styles)]:
            z.writestr(n, c)
    out("activity_xlsx", name, b"\x00" + buf.getvalue())

# ---------- activity_form (one field a line, in the order of ActivityForm) ----------
def form(*fields):
    return "\n".join(fields)
out("activity_form", "individuel", form("Accompagnement individuel", "14/03/2026", "45", "À distance", "", "", "Navigation sur internet", "", "", "Téléphone;Ordinateur", "Fait avec la personne", "", "", "", "Débutant", "", "", "70 ans ou plus", "Femme", "Retraité(e)", "54395", "seniors;rappel"))
out("activity_form", "atelier", form("Atelier collectif", "2026-03-15", "1h30", "Autre lieu", "", "54395", "Prévention en sécurité numérique", "", "", "", "", "", "", "Arnaques", "intermediaire", "p1;p2", "6", "60-69=4;70-plus=2", "femme=3;homme=3", "retraite=4", "", "ateliers"))
out("activity_form", "demarche", form("Aide aux démarches administratives", "2026-03-16", "30", "Lieu d'activité", "lieu-1", "", "", "Emploi", "Inscription France Travail", "Ordinateur", "Fait à la place de la personne", "Démarche finalisée", "France Services", "", "", "", "", "", "", "", "", ""))

# ---------- diagnostic_answers ----------
out("diagnostic_answers", "court.json", json.dumps({"questionnaire": "court", "version": 1, "answers": {"internet": "souvent", "appareils": ["smartphone"], "maitrise": "un_peu", "courriel": "envoie", "demarches": "aide", "francais": "facile", "envie": "oui", "aisance": "peu"}}, ensure_ascii=False))
out("diagnostic_answers", "court-minimal.json", '{"questionnaire":"court","answers":{"appareils":["aucun"]}}')
complet = json.loads((ROOT / "crates/domain/data/diagnostic-complet-v1.json").read_text("utf-8"))
answers = {}
for i, q in enumerate(complet["questions"]):
    c = q["choices"][i % len(q["choices"])]["id"]
    answers[q["id"]] = [c] if q["kind"] == "plusieurs" else c
out("diagnostic_answers", "complet.json", json.dumps({"questionnaire": "complet", "version": 1, "answers": answers}, ensure_ascii=False))
out("diagnostic_answers", "questionnaire-court.json", (ROOT / "crates/domain/data/diagnostic-court-v1.json").read_bytes())

# ---------- query_filters ----------
queries = [
    "q=mediatheque&pres_de=Nancy&rayon=20&service=aide-demarches-administratives&public=seniors&frais=gratuit&page=2",
    "commune=54395&epci=245400676&departement=54&ouvert=maintenant&plain_pied=1",
    "le=2026-11-23T10%3A00&typologie=ASSO&forme=atelier&itinerance=itinerant&acces=se-presenter&accompagnement=individuel&dispositif=conseillers-numeriques&prise_en_charge=surdite",
    "pres_de=48.69%2C6.18&rayon=5%2C5&q=je+dois+m%27inscrire+%C3%A0+p%C3%B4le+emploi",
    "du=2026-01-01&au=31%2F03%2F2026&type=individuel&thematique=navigation-internet&niveau=debutant&lieu=l1&commune=54395&intervenant=u1&etiquette=seniors&structure=org-a",
    "epci=Toul&commune=Vand%C5%93uvre&departement=2A&page=0",
]
for i, q in enumerate(queries):
    out("query_filters", f"q{i}", q)

# ---------- multipart, upload_routes (route or limit byte, Content-Type line, body) ----------
def multipart(route, parts, boundary="XyZbOuNdArY"):
    body = b""
    for name, filename, content in parts:
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        head = f"--{boundary}\r\nContent-Disposition: {disp}\r\n"
        if filename is not None:
            head += "Content-Type: application/octet-stream\r\n"
        body += head.encode() + b"\r\n" + (content if isinstance(content, bytes) else content.encode()) + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes([route]) + f"multipart/form-data; boundary={boundary}\n".encode() + body

out("multipart", "import-lieux", multipart(0, [("source", None, "fuzz"), ("action", None, "verifier"), ("fichier", "lieux.csv", example)]))
out("multipart", "import-lieux-partiel", multipart(0, [("partiel", None, "1"), ("fichier", "lieux.json", json.dumps(picked[:2], ensure_ascii=False))]))
out("multipart", "import-activites", multipart(1, [("structure", None, "org-fuzz"), ("partiel", None, "oui"), ("fichier", "activites.csv", HEADER + "\n" + act_rows[0] + "\n")]))
out("multipart", "ressource", multipart(2, [("titre", None, "Fiche : créer son adresse e-mail"), ("resume", None, "Pas à pas"), ("type", None, "deroule"), ("thematique", None, "courriel"), ("niveau", None, "debutant"), ("public", None, "aidants"), ("langue", None, "fr"), ("structure", None, "org-fuzz"), ("lien", None, "https://example.org/fiche"), ("fichier", "fiche.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")]))
out("multipart", "ressource-sans-fichier", multipart(2, [("titre", None, "Ressource"), ("fichier", "", b"")], boundary="----WebKitFormBoundary7MA4YWxkTrZu0gW"))
# The reader alone: a limit byte of 0 means 64 bytes, so a body over the limit is a seed too.
out("multipart", "trop-lourd", multipart(0, [("titre", None, "x" * 200)]))
for f in (HERE / "multipart").iterdir():
    out("upload_routes", f.name, f.read_bytes())

# ---------- fields ----------
for i, v in enumerate(["+33180059880", "01 80 05 98 80", "0033 (0)1 80 05 98 80 / 06 12 34 56 78", "+262262000000", "5100", "51100",
                       "2A004", "51454", "43493312300029", "W123456789", "", "2024-04-02", "02/04/2024", "2024-04-02T10:00:00Z",
                       "Contact@Example.FR", "www.example.fr", "https://example.org/a b", "2026-12-03 14:00-16:00",
                       "03/12/2026 9h-12h", "48.69,6.18", "1h30", "90 min", "Vandœuvre-lès-Nancy", "mot " * 31]):
    out("fields", f"f{i:02d}", v)

# ---------- spreadsheet_cells ----------
for i, v in enumerate(["=HYPERLINK(\"x\")", "'=1+1", "''@SUM(A1)", "-21.1", "+33180059880", "\tcmd", "\uff1d1", "texte", "'", "-", "+.", "'-1"]):
    out("spreadsheet_cells", f"c{i:02d}", v)
