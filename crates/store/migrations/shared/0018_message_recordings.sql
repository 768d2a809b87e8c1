-- A voicemail's recording (its Twilio Recording SID), for the dashboard's player.
ALTER TABLE caller_messages ADD COLUMN recording_sid TEXT;
