# 2026-11-30 12:00:00 by RouterOS 7.16.1
# software id = HC19-0001
#
# model = RB5009UG+S+
# The dual-stack home router of hairpin.rsc: the LAN also has a ULA prefix behind NAT66 (RouterOS 7
# IPv6 NAT), and the web server is published on the WAN's IPv6 address 2001:db8:113::1 too, with an
# IPv6 hairpin masquerade like the IPv4 one. The delegated prefix (from-pool) is only known on the router.
/interface bridge
add admin-mac=48:A9:8A:00:00:01 auto-mac=no comment=defconf name=bridge
/interface list
add comment=defconf name=WAN
add comment=defconf name=LAN
/interface bridge port
add bridge=bridge comment=defconf interface=ether2
add bridge=bridge comment=defconf interface=ether3
/interface list member
add comment=defconf interface=bridge list=LAN
add comment=defconf interface=ether1 list=WAN
/ip address
add address=198.18.1.1/24 comment=defconf interface=bridge network=198.18.1.0
add address=203.0.113.1/24 interface=ether1 network=203.0.113.0
/ip firewall address-list
add address=198.18.1.0/24 list=lan-nets
/ip firewall filter
add action=accept chain=input comment="defconf: accept established,related,untracked" \
    connection-state=established,related,untracked
add action=drop chain=input comment="defconf: drop invalid" connection-state=invalid
add action=accept chain=input comment="defconf: accept ICMP" protocol=icmp
add action=drop chain=input comment="defconf: drop all not coming from LAN" in-interface-list=!LAN
add action=accept chain=forward comment="defconf: accept in ipsec policy" ipsec-policy=in,ipsec
add action=accept chain=forward comment="defconf: accept out ipsec policy" ipsec-policy=out,ipsec
add action=fasttrack-connection chain=forward comment="defconf: fasttrack" connection-state=established,related \
    hw-offload=yes
add action=accept chain=forward comment="defconf: accept established,related, untracked" \
    connection-state=established,related,untracked
add action=drop chain=forward comment="defconf: drop invalid" connection-state=invalid
add action=drop chain=forward comment="defconf:  drop all from WAN not DSTNATed" connection-nat-state=!dstnat \
    connection-state=new in-interface-list=WAN
/ip firewall nat
add action=masquerade chain=srcnat comment="defconf: masquerade" ipsec-policy=out,none out-interface-list=WAN
add action=masquerade chain=srcnat comment="hairpin NAT" dst-address-list=lan-nets out-interface=bridge \
    src-address=198.18.1.0/24
add action=dst-nat chain=dstnat comment=web dst-address=203.0.113.1 dst-port=80,443 protocol=tcp \
    to-addresses=198.18.1.10
add action=dst-nat chain=dstnat comment=smtp dst-address-type=local dst-port=25 protocol=tcp to-addresses=198.18.1.20 \
    to-ports=25
add action=dst-nat chain=dstnat comment=imaps dst-address-type=local dst-port=993 protocol=tcp \
    to-addresses=198.18.1.20 to-ports=993
add action=dst-nat chain=dstnat comment=dns dst-address=203.0.113.1 dst-port=53 protocol=udp to-addresses=198.18.1.53
add action=dst-nat chain=dstnat comment="old camera" disabled=yes dst-address=203.0.113.1 dst-port=8080 protocol=tcp \
    to-addresses=198.18.1.30 to-ports=80
/ipv6 address
add address=fd00:1:2::1/64 interface=bridge
add address=2001:db8:113::1/64 advertise=no interface=ether1
add address=::1 from-pool=isp-pd interface=bridge
/ipv6 firewall address-list
add address=fd00:1:2::/64 list=lan6-nets
/ipv6 firewall filter
add action=accept chain=forward comment="defconf: accept established,related,untracked" \
    connection-state=established,related,untracked
add action=drop chain=forward comment="defconf: drop invalid" connection-state=invalid
add action=accept chain=forward comment="accept port forwards" connection-nat-state=dstnat
add action=drop chain=forward comment="defconf: drop everything else not coming from LAN" in-interface-list=!LAN
/ipv6 firewall nat
add action=masquerade chain=srcnat comment="NAT66" out-interface-list=WAN src-address=fd00:1:2::/64
add action=masquerade chain=srcnat comment="hairpin NAT6" dst-address-list=lan6-nets out-interface=bridge \
    src-address=fd00:1:2::/64
add action=dst-nat chain=dstnat comment=web6 dst-address=2001:db8:113::1/128 dst-port=80,443 protocol=tcp \
    to-address=fd00:1:2::10/128
