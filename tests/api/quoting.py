"""Meshes and quote helpers shared by the quote tests: binary and ASCII STL
boxes, 3MF files with objects, items and units, an upload as a browser sends
it, and the check that a breakdown adds up to the cent."""
import io
import json
import struct
import threading
import time
import zipfile

import requests


# ---- meshes ----

def box_triangles(x, y, z, ox=0.0, oy=0.0, oz=0.0, open_top=False):
    """12 outward-facing triangles of an x*y*z box (10 without its top)."""
    v = [(ox + a * x, oy + b * y, oz + c * z) for a in (0, 1) for b in (0, 1) for c in (0, 1)]
    # corners: index = a*4 + b*2 + c
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    tris = []
    for q in quads:
        if open_top and q == (1, 5, 7, 3):
            continue
        tris.append((v[q[0]], v[q[1]], v[q[2]]))
        tris.append((v[q[0]], v[q[2]], v[q[3]]))
    return tris


def stl_binary(tris):
    out = bytearray(b"solid but really binary".ljust(80, b" "))
    out += struct.pack("<I", len(tris))
    for t in tris:
        out += struct.pack("<3f", 0, 0, 0)
        for p in t:
            out += struct.pack("<3f", *p)
        out += b"\0\0"
    return bytes(out)


def stl_ascii(tris):
    lines = ["solid part"]
    for t in tris:
        lines += ["facet normal 0 0 0", " outer loop"]
        lines += ["  vertex %g %g %g" % p for p in t]
        lines += [" endloop", "endfacet"]
    lines.append("endsolid part")
    return ("\n".join(lines) + "\n").encode()


def model3mf(objects, items, unit="millimeter"):
    """A 3MF: objects {id: (name, triangles)}, items [(objectid, transform or None)]."""
    xml = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<model unit="%s" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">' % unit,
           "<resources>"]
    for oid, (name, tris) in objects.items():
        verts, index, faces = [], {}, []
        for t in tris:
            f = []
            for p in t:
                if p not in index:
                    index[p] = len(verts)
                    verts.append(p)
                f.append(index[p])
            faces.append(f)
        xml.append('<object id="%d" name="%s" type="model"><mesh><vertices>' % (oid, name))
        xml += ['<vertex x="%g" y="%g" z="%g"/>' % p for p in verts]
        xml.append("</vertices><triangles>")
        xml += ['<triangle v1="%d" v2="%d" v3="%d"/>' % tuple(f) for f in faces]
        xml.append("</triangles></mesh></object>")
    xml.append("</resources><build>")
    for oid, tr in items:
        xml.append('<item objectid="%d"%s/>' % (oid, ' transform="%s"' % tr if tr else ""))
    xml.append("</build></model>")
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns='
                   '"http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Target="/3D/3dmodel.model" Id="r0" Type='
                   '"http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>'
                   '</Relationships>')
        z.writestr("3D/3dmodel.model", "\n".join(xml))
    return b.getvalue()


# ---- helpers ----

def upload(api, files, **options):
    """POST /api/v1/quotes with files [(name, bytes)] and options as a
    multipart form (also when there is no file, as a browser sends it); no login."""
    parts = [("file", (n, d, "application/octet-stream")) for n, d in files]
    parts += [(k, (None, str(v))) for k, v in options.items()]
    if not parts:
        parts = [("material", (None, "PLA"))]
    return api.post("/api/v1/quotes", files=parts)


def quote(api, files, **options):
    r = upload(api, files, **options)
    assert r.status_code == 201, r.text
    return r.json()


def adds_up(q):
    """Every line of the breakdown and of each part adds up to the cent."""
    b = q["breakdown"]
    assert (b["material_cents"] + b["machine_cents"] + b["labour_cents"] + b["setup_cents"] +
            b["overhead_cents"] + b["margin_cents"] - b["discount_cents"] +
            b["minimum_cents"]) == b["net_cents"], b
    assert b["net_cents"] + b["vat_cents"] == b["gross_cents"], b
    assert b["vat_cents"] == (b["net_cents"] * b["vat_bp"] + 5000) // 10000
    total = 0
    for p in q["parts"]:
        pr = p["price"]
        assert (pr["material_cents"] + pr["machine_cents"] + pr["labour_cents"] +
                pr["setup_cents"] + pr["overhead_cents"] + pr["margin_cents"] -
                pr["discount_cents"]) == pr["amount_cents"], pr
        assert pr["unit_cents"] * p["quantity"] - pr["discount_cents"] == pr["amount_cents"]
        total += pr["amount_cents"]
    assert total + b["minimum_cents"] == b["net_cents"]


def customer(tag):
    return {"accept_terms": True, "name": f"Quote Customer {tag}",
            "email": f"quote-{tag}@example.org", "billing_street": "Hauptstr. 1",
            "billing_postal_code": "10115", "billing_city": "Berlin", "billing_country": "DE"}


class Listener:
    """The quote's live channel, as the customer's page follows it."""

    def __init__(self, api, url):
        self.events, ready = [], threading.Event()

        def listen():
            with requests.get(api.base_url + url, stream=True, timeout=150,
                              headers={"Accept": "text/event-stream"}) as s:
                assert s.status_code == 200
                ready.set()
                for line in s.iter_lines(chunk_size=1, decode_unicode=True):
                    if line and line.startswith("data:"):
                        self.events.append(json.loads(line[5:]))

        threading.Thread(target=listen, daemon=True).start()
        assert ready.wait(10)
        time.sleep(0.3)     # nchan has the subscriber before anything is sent

    def wait(self, event, timeout=15):
        """Has event arrived (within timeout seconds)?"""
        deadline = time.time() + timeout
        while event not in self.events and time.time() < deadline:
            time.sleep(0.1)
        return event in self.events
