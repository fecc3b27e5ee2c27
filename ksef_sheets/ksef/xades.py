"""AuthTokenRequest (namespace 2.1 by default; 2.0 on request) and its enveloped XAdES-BES signature (PROTOCOL §4.3).

The signature is produced by signxml's XAdES signer: ``ds:Signature`` appended to the root,
Reference URI="" with the enveloped-signature transform, a Reference to ``SignedProperties``
(SigningTime, SigningCertificateV2), rsa-sha256 for RSA keys and ecdsa-sha256 (R‖S) for EC keys.
"""

from __future__ import annotations

from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, methods
from signxml.xades import XAdESSigner

from ksef_sheets.ksef.credentials import CertificateCredential

AUTH_NS_20 = "http://ksef.mf.gov.pl/auth/token/2.0"
AUTH_NS_21 = "http://ksef.mf.gov.pl/auth/token/2.1"

SubjectIdentifierType = Literal["certificateSubject", "certificateFingerprint"]
ContextType = Literal["Nip", "InternalId", "NipVatUe", "PeppolId"]


def build_auth_token_request(
    challenge: str,
    context_value: str,
    *,
    context_type: ContextType = "Nip",
    subject_identifier_type: SubjectIdentifierType = "certificateSubject",
    allowed_ips: list[str] | None = None,
    namespace: str = AUTH_NS_21,
) -> etree._Element:
    """The unsigned ``AuthTokenRequest`` (``schemat_auth_v2-*.xsd``)."""
    q = f"{{{namespace}}}"
    root = etree.Element(q + "AuthTokenRequest", nsmap={None: namespace})
    etree.SubElement(root, q + "Challenge").text = challenge
    context = etree.SubElement(root, q + "ContextIdentifier")
    etree.SubElement(context, q + context_type).text = context_value
    etree.SubElement(root, q + "SubjectIdentifierType").text = subject_identifier_type
    if allowed_ips:
        policy = etree.SubElement(root, q + "AuthorizationPolicy")
        allowed = etree.SubElement(policy, q + "AllowedIps")
        for ip in allowed_ips:
            kind = "Ip4Range" if "-" in ip else "Ip4Mask" if "/" in ip else "Ip4Address"
            etree.SubElement(allowed, q + kind).text = ip
    return root


def sign_xades(document: etree._Element, credential: CertificateCredential) -> bytes:
    """Sign ``document`` with an enveloped XAdES-BES signature; returns the serialized XML."""
    method = (
        SignatureMethod.ECDSA_SHA256
        if isinstance(credential.private_key, ec.EllipticCurvePrivateKey)
        else SignatureMethod.RSA_SHA256
    )
    signer = XAdESSigner(
        method=methods.enveloped,
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA256,
    )
    key_pem = credential.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    certs = [
        c.public_bytes(serialization.Encoding.PEM).decode()
        for c in (credential.certificate, *credential.chain)
    ]
    signed = signer.sign(document, key=key_pem, cert=certs)
    return etree.tostring(signed, xml_declaration=True, encoding="utf-8")


def signed_auth_request(
    challenge: str,
    context_nip: str,
    credential: CertificateCredential,
    *,
    subject_identifier_type: SubjectIdentifierType = "certificateSubject",
    namespace: str = AUTH_NS_21,
) -> bytes:
    return sign_xades(
        build_auth_token_request(
            challenge, context_nip, subject_identifier_type=subject_identifier_type, namespace=namespace
        ),
        credential,
    )
