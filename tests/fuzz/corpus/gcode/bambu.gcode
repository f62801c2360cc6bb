; BambuStudio 01.08.04.51
; model printing time: 1h 19m 7s; total estimated time: 1h 26m 17s
; total filament weight [g] : 15.10,2
; total filament length [mm] : 5023.81
