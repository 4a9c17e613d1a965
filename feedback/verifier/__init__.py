"""The standalone audit verifier (one file, standard library + cryptography): see verify_audit.py."""
