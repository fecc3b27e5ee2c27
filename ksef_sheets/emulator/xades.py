"""Verification of XAdES-signed ``AuthTokenRequest`` documents (PROTOCOL.md §4.3).

What is checked, in order (each failure is the spec's 400 code, raised as ``XadesError``):
size and well-formedness with a hardened parser (no DTD, entities or network; 21001), exactly one
``ds:Signature`` (9102/9103), the XML-DSig signature itself with signxml against the certificate in
``ds:KeyInfo`` — self-signed certificates are accepted, as on TEST (9105) — a signed
``xades:SignedProperties`` whose ``SigningCertificate`` digest matches that certificate (9105), the
signed ``AuthTokenRequest`` (taken from what the signature actually covers, so a wrapped or unsigned
copy is never read) against ``schemat_auth_v2-1.xsd`` (21401), the key size (RSA ≥ 2048, EC ≥ 256;
21115) and the subject identifier the certificate carries (21115/21117).

Namespace 2.0 documents are validated with the 2.1 schema after renaming the namespace: the 2.0 XSD
uses regex syntax libxml2 rejects (``\\b``) and the two differ only in IP-address patterns.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier
from lxml import etree
from signxml import CanonicalizationMethod, SignatureConfiguration, XMLVerifier
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature

NS_20 = "http://ksef.mf.gov.pl/auth/token/2.0"
NS_21 = "http://ksef.mf.gov.pl/auth/token/2.1"
DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
MAX_SIZE = 1_000_000

ORGANIZATION_IDENTIFIER = ObjectIdentifier("2.5.4.97")
_SEAL_ID = re.compile(r"(VATPL).*?(\d{10})")
_PERSON_PESEL = re.compile(r"(PNOPL|PESEL).*?(\d{11})")
_PERSON_NIP = re.compile(r"(TINPL|NIP).*?(\d{10})")

_DIGESTS: dict[str, hashes.HashAlgorithm] = {
    "http://www.w3.org/2000/09/xmldsig#sha1": hashes.SHA1(),  # noqa: S303 - KSeF accepts SHA-1 digests
    "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256(),
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashes.SHA384(),
    "http://www.w3.org/2001/04/xmlenc#sha512": hashes.SHA512(),
    "http://www.w3.org/2007/05/xmldsig-more#sha3-256": hashes.SHA3_256(),
    "http://www.w3.org/2007/05/xmldsig-more#sha3-384": hashes.SHA3_384(),
    "http://www.w3.org/2007/05/xmldsig-more#sha3-512": hashes.SHA3_512(),
}


class XadesError(Exception):
    """A rejected request: ``code`` and ``description`` are the spec's 400 error."""

    def __init__(self, code: int, description: str, details: list[str] | None = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = details or []


@dataclass(frozen=True)
class AuthTokenRequest:
    challenge: str
    context_type: str
    context_value: str
    subject_identifier_type: str  # certificateSubject | certificateFingerprint
    certificate: x509.Certificate
    allowed_ips: dict[str, list[str]] | None = None
    namespace: str = NS_21
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class CertificateIdentity:
    subject_type: str  # Nip | Pesel | Fingerprint
    subject_value: str
    method: str  # QualifiedSeal | QualifiedSignature
    method_code: str
    display_name: str


_schema: etree.XMLSchema | None = None


def _auth_schema() -> etree.XMLSchema:
    global _schema
    if _schema is None:
        text = (resources.files("ksef_sheets.emulator") / "auth_xsd" / "schemat_auth_v2-1.xsd").read_text(
            "utf-8"
        )
        # XSD patterns are implicitly anchored; the published file also writes ^…$, which XSD
        # would read as literal characters.
        text = text.replace('value="^', 'value="').replace('$"/>', '"/>')
        _schema = etree.XMLSchema(etree.fromstring(text.encode("utf-8"), parser=_parser()))
    return _schema


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def certificate_fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, upper-case hex (how the emulator names fingerprint subjects)."""
    return cert.fingerprint(hashes.SHA256()).hex().upper()


def _attribute(name: x509.Name, oid: ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def identify(cert: x509.Certificate, subject_identifier_type: str) -> CertificateIdentity:
    """Who the certificate names (PROTOCOL.md §4.3 item 3); raises ``XadesError`` 21115."""
    if subject_identifier_type == "certificateFingerprint":
        return CertificateIdentity(
            "Fingerprint",
            certificate_fingerprint(cert),
            "QualifiedSignature",
            "xades.fingerprint",
            "Certyfikat (odcisk)",
        )
    subject = cert.subject
    org_id = _attribute(subject, ORGANIZATION_IDENTIFIER)
    serial = _attribute(subject, NameOID.SERIAL_NUMBER)
    has_person_names = bool(
        subject.get_attributes_for_oid(NameOID.GIVEN_NAME) or subject.get_attributes_for_oid(NameOID.SURNAME)
    )
    if org_id and (match := _SEAL_ID.search(org_id)) and not has_person_names:
        return CertificateIdentity(
            "Nip", match.group(2), "QualifiedSeal", "xades.qualified-seal", "Pieczęć kwalifikowana"
        )
    if serial:
        if match := _PERSON_PESEL.search(serial):
            return CertificateIdentity(
                "Pesel",
                match.group(2),
                "QualifiedSignature",
                "xades.qualified-signature",
                "Podpis kwalifikowany",
            )
        if match := _PERSON_NIP.search(serial):
            return CertificateIdentity(
                "Nip",
                match.group(2),
                "QualifiedSignature",
                "xades.qualified-signature",
                "Podpis kwalifikowany",
            )
    raise XadesError(
        21115,
        "Nieprawidłowy certyfikat.",
        ["Certyfikat nie zawiera identyfikatora NIP ani PESEL; użyj certificateFingerprint."],
    )


def _check_key(cert: x509.Certificate) -> None:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise XadesError(
                21115, "Nieprawidłowy certyfikat.", ["Klucz RSA musi mieć co najmniej 2048 bitów."]
            )
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < 256:
            raise XadesError(
                21115, "Nieprawidłowy certyfikat.", ["Klucz EC musi mieć co najmniej 256 bitów."]
            )
    else:
        raise XadesError(21115, "Nieprawidłowy certyfikat.", ["Dozwolone są tylko klucze RSA i EC."])


def _embedded_certificate(signature: etree._Element) -> x509.Certificate:
    node = signature.find(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if node is None or not (node.text or "").strip():
        raise XadesError(21115, "Nieprawidłowy certyfikat.", ["Brak certyfikatu w ds:KeyInfo/ds:X509Data."])
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join((node.text or "").split())))
    except ValueError:
        raise XadesError(21115, "Nieprawidłowy certyfikat.", ["Nie można odczytać certyfikatu."]) from None


def _check_signed_properties(signature: etree._Element, cert: x509.Certificate, signed_ids: set[str]) -> None:
    props = signature.find(f".//{{{XADES}}}SignedProperties")
    if props is None:
        raise XadesError(
            9105, "Nieprawidłowy podpis.", ["Brak xades:SignedProperties (wymagany podpis XAdES)."]
        )
    props_id = props.get("Id") or props.get("ID") or props.get("id")
    if not props_id or props_id not in signed_ids:
        raise XadesError(9105, "Nieprawidłowy podpis.", ["xades:SignedProperties nie są objęte podpisem."])
    cert_nodes = props.findall(f".//{{{XADES}}}SigningCertificate/{{{XADES}}}Cert") + props.findall(
        f".//{{{XADES}}}SigningCertificateV2/{{{XADES}}}Cert"
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    for node in cert_nodes:
        method = node.find(f"{{{XADES}}}CertDigest/{{{DS}}}DigestMethod")
        value = node.find(f"{{{XADES}}}CertDigest/{{{DS}}}DigestValue")
        if method is None or value is None:
            continue
        algorithm = _DIGESTS.get(method.get("Algorithm", ""))
        if algorithm is None:
            continue
        digest = hashes.Hash(algorithm)
        digest.update(der)
        if base64.b64decode("".join((value.text or "").split())) == digest.finalize():
            return
    raise XadesError(
        9105, "Nieprawidłowy podpis.", ["SigningCertificate nie odpowiada certyfikatowi podpisu."]
    )


def _validate_schema(request_el: etree._Element) -> None:
    doc = etree.fromstring(etree.tostring(request_el), parser=_parser())
    for sig in doc.findall(f".//{{{DS}}}Signature"):
        parent = sig.getparent()
        if parent is not None:
            parent.remove(sig)
    if etree.QName(doc).namespace == NS_20:
        text = etree.tostring(doc).replace(NS_20.encode(), NS_21.encode())
        doc = etree.fromstring(text, parser=_parser())
    schema = _auth_schema()
    if not schema.validate(doc):
        details = [f"Linia {e.line}: {e.message}" for e in list(schema.error_log)[:10]]
        raise XadesError(21401, "Dokument nie jest zgodny ze schematem (xsd).", details)


def verify_auth_request(data: bytes) -> AuthTokenRequest:
    """Check a signed ``AuthTokenRequest`` and return what it asks for (see module docstring)."""
    signature = _the_signature(_parse(data))
    cert = _embedded_certificate(signature)
    _check_key(cert)
    signed_ids, request_el = _signed_request(_verify(data, cert))
    _check_signed_properties(signature, cert, signed_ids)
    _validate_schema(request_el)
    return _read_request(request_el, cert, data)


def _parse(data: bytes) -> etree._Element:
    if len(data) > MAX_SIZE:
        raise XadesError(21001, "Nie można odczytać dokumentu.", ["Dokument jest zbyt duży."])
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise XadesError(21001, "Nie można odczytać dokumentu.", [str(exc)]) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XadesError(21001, "Nie można odczytać dokumentu.", ["Deklaracje DTD są niedozwolone."])
    return root


def _the_signature(root: etree._Element) -> etree._Element:
    """The one ``ds:Signature`` (9102 without one, 9103 with more)."""
    signatures = root.findall(f".//{{{DS}}}Signature")
    if etree.QName(root) == etree.QName(DS, "Signature"):
        signatures.insert(0, root)
    if not signatures:
        raise XadesError(9102, "Brak podpisu.", ["Dokument nie zawiera elementu ds:Signature."])
    if len(signatures) > 1:
        raise XadesError(9103, "Zbyt wiele podpisów.", [f"Dokument zawiera {len(signatures)} podpisy."])
    return signatures[0]


def _verify(data: bytes, cert: x509.Certificate) -> list[Any]:
    """The verified references (signxml's results); 9105 for a bad signature, 9101 for a bad document."""
    results: Any = None
    last_error: Exception | None = None
    # A Reference without Transforms is canonicalised with the verifier's default method: signxml
    # signs such references with C14N 1.1, XML-DSig (and .NET/Java signers) mean C14N 1.0.
    for c14n in (CanonicalizationMethod.CANONICAL_XML_1_1, CanonicalizationMethod.CANONICAL_XML_1_0):
        config = SignatureConfiguration(
            expect_references=True,
            default_reference_c14n_method=c14n,
            # Validity is judged by the caller on the emulator clock (status 460), not here.
            verification_time=cert.not_valid_before_utc,
        )
        try:
            results = XMLVerifier().verify(data, x509_cert=cert, expect_config=config, parser=_parser())
            break
        except InvalidDigest as exc:
            last_error = exc
        except (InvalidSignature, InvalidCertificate, InvalidInput) as exc:
            raise XadesError(9105, "Nieprawidłowy podpis.", [str(exc)[:300]]) from None
        except (etree.LxmlError, ValueError) as exc:
            raise XadesError(9101, "Nieprawidłowy dokument.", [str(exc)[:300]]) from None
    if results is None:
        raise XadesError(9105, "Nieprawidłowy podpis.", [str(last_error)[:300]])
    return results if isinstance(results, list) else [results]


def _signed_request(results: list[Any]) -> tuple[set[str], etree._Element]:
    """The ids of the signed elements and the signed ``AuthTokenRequest`` (9101 when unsigned)."""
    signed_ids: set[str] = set()
    request_el: etree._Element | None = None
    for result in results:
        signed = result.signed_xml
        if signed is None:
            continue
        element_id = signed.get("Id") or signed.get("ID") or signed.get("id")
        if element_id:
            signed_ids.add(element_id)
        # Enveloped: the signed node is the document; enveloping: a ds:Object wrapping it.
        candidates = [signed, *signed] if etree.QName(signed) == etree.QName(DS, "Object") else [signed]
        for node in candidates:
            if not isinstance(node.tag, str):
                continue  # comments and processing instructions
            name = etree.QName(node)
            if name.localname == "AuthTokenRequest" and name.namespace in (NS_20, NS_21):
                request_el = node
    if request_el is None:
        raise XadesError(9101, "Nieprawidłowy dokument.", ["Podpis nie obejmuje elementu AuthTokenRequest."])
    return signed_ids, request_el


def _read_request(request_el: etree._Element, cert: x509.Certificate, data: bytes) -> AuthTokenRequest:
    ns = etree.QName(request_el).namespace or NS_21
    q = lambda name: f"{{{ns}}}{name}"  # noqa: E731
    challenge = (request_el.findtext(q("Challenge")) or "").strip()
    context = request_el.find(q("ContextIdentifier"))
    assert context is not None and len(context)  # guaranteed by the schema
    context_el = context[0]
    subject_type = (request_el.findtext(q("SubjectIdentifierType")) or "").strip()
    allowed: dict[str, list[str]] | None = None
    ips = request_el.find(f"{q('AuthorizationPolicy')}/{q('AllowedIps')}")
    if ips is not None:
        allowed = {
            "ip4Addresses": [(e.text or "").strip() for e in ips.findall(q("Ip4Address"))],
            "ip4Ranges": [(e.text or "").strip() for e in ips.findall(q("Ip4Range"))],
            "ip4Masks": [(e.text or "").strip() for e in ips.findall(q("Ip4Mask"))],
        }
    return AuthTokenRequest(
        challenge=challenge,
        context_type=etree.QName(context_el).localname,
        context_value=(context_el.text or "").strip(),
        subject_identifier_type=subject_type,
        certificate=cert,
        allowed_ips=allowed,
        namespace=ns,
        extra={"sha256": hashlib.sha256(data).hexdigest()},
    )
