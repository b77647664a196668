"""Gap playbook: from a demo that works to a system anyone relies on."""
