rtl/monitors/hsx_table_monitor.sv
rtl/monitors/hsx_monitors_bind.sv
