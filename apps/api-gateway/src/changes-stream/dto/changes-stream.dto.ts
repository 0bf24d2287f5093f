import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { MAX_TICKET_LENGTH } from '@app/auth';
import { IsChars } from '../../http/text-rules.js';
import { ChangesPositionQueryDto } from '../../pages/dto/page-params.dto.js';

export class ChangesStreamQueryDto extends ChangesPositionQueryDto {
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: MAX_TICKET_LENGTH,
    description:
      'A ticket from `POST /projects/{id}/stream-tickets`, for clients that cannot send an `Authorization` ' +
      "header (a browser's `EventSource`). Opens this route only, for this project only, within a minute of " +
      'being issued; an open stream outlives it. Ignored when a bearer header is sent.',
  })
  @IsOptional()
  @IsChars(1, MAX_TICKET_LENGTH)
  ticket?: string;
}

export class StreamTicketResponseDto {
  @ApiProperty({ description: 'Pass as `?ticket=` to `GET /projects/{id}/changes/stream`', example: 'st1.WyI...' })
  ticket: string;

  @ApiProperty({ format: 'date-time', description: 'The ticket opens no stream after this time' })
  expiresAt: string;
}
