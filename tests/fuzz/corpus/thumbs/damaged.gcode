; thumbnail begin 4x4 12
; ####!!!!
; thumbnail end
; thumbnail begin 4x4 8
; iVBO
