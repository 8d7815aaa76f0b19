"""HTTP surfaces, one blueprint each: thin — parse, call one domain function, render."""
