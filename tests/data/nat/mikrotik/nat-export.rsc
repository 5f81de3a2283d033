# nov/30/2026 12:00:00 by RouterOS 6.49.17
# software id = HC19-0002
#
/ip firewall nat
add action=masquerade chain=srcnat out-interface=ether1-gateway
add action=masquerade chain=srcnat dst-address=198.18.1.10 out-interface=bridge-local protocol=tcp \
    src-address=198.18.1.0/24
add action=dst-nat chain=dstnat dst-address=203.0.113.1 dst-port=443 protocol=tcp to-addresses=198.18.1.10 \
    to-ports=443
add action=dst-nat chain=dstnat dst-address=203.0.113.1 dst-port=2222 protocol=tcp src-address-list=admins \
    to-addresses=198.18.1.10 to-ports=22
add action=netmap chain=dstnat dst-address=203.0.113.2 to-addresses=198.18.1.40
