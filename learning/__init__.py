"""Learning records: completed sessions logged as xAPI statements (an LRS) and Viva Learning course activities."""
