"""The open-protocol (Delta Sharing) side of the data plane, as pure values and decisions.

``access`` says who may hold a recipient credential; ``protocol`` holds the wire shapes
(pages, byte ranges, table versions); ``signing`` makes and checks the short-lived file
URLs. Nothing here touches the network, a file or the store.
"""
