# Test cases for bot/analyzers/rules/xxe.yml, in semgrep's test format (`semgrep test`):
# an annotation names the rule that must, or must not, flag the line below it.
import xml.dom.minidom
import xml.etree.ElementTree as ET
import xml.sax
import xmlrpc.client
from xml.dom import pulldom

import defusedxml.ElementTree
from lxml import etree


def parse(data, path, handler):
    # ruleid: xml-unsafe-parser
    ET.fromstring(data)
    # ruleid: xml-unsafe-parser
    tree = ET.parse(path)
    # ruleid: xml-unsafe-parser
    xml.dom.minidom.parseString(data)
    # ruleid: xml-unsafe-parser
    xml.sax.parseString(data, handler)
    # ruleid: xml-unsafe-parser
    pulldom.parse(path)
    # ok: xml-unsafe-parser
    defusedxml.ElementTree.fromstring(data)
    # ok: xml-unsafe-parser
    ET.Element("root")


def lxml_parsing(data):
    # ruleid: lxml-resolves-entities
    parser = etree.XMLParser(resolve_entities=True)
    # ruleid: lxml-resolves-entities
    etree.fromstring(data)
    # ok: lxml-resolves-entities
    safe = etree.XMLParser(resolve_entities=False, no_network=True)
    # ok: lxml-resolves-entities
    etree.fromstring(data, safe)


def rpc(url):
    # ruleid: xmlrpc-unsafe
    xmlrpc.client.ServerProxy(url)
