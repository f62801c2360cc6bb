-- 0017_printer_files_port.sql -- the port of a Bambu printer's file store.
--
-- A Bambu printer serves its SD card over implicit FTPS on port 990; a
-- printer reached through port forwarding (or a simulated one) has it
-- elsewhere.  NULL: the printer's default (990).  The HTTP kinds serve
-- their files on the port they answer the API on, so only a Bambu
-- printer may name one.

ALTER TABLE printers
	ADD COLUMN files_port integer CHECK (files_port BETWEEN 1 AND 65535),
	ADD CONSTRAINT printers_files_port_bambu CHECK (kind = 'bambu' OR
	    files_port IS NULL);
